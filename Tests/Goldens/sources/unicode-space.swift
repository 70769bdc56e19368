　wide　
 nbsp 
file-sep
 sep
form feed
café été
nel
