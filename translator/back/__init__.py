"""Assembly: gcc's text as the model reads it (asmtext), cut into pieces and put back together (pieces),
and the stack frame laid out from the slots the model names (frame)."""
