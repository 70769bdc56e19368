first
  second

fourth
