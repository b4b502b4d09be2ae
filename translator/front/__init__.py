"""Reading C: the source as the encoder sees it (csource), lowered to one operation per statement
(lower), and laid out as the pieces of gcc -O0's code (skeleton)."""
