valid line
ÿþ broken
