"""Training data: a labelled corpus lowered (lowerdata), with named stack slots (slotdata), cut into
the skeleton's pieces (localdata), the three stages run by `neuralcc prepare-data` (prepare); records to
token-id samples (samples); a toy corpus for tests (toydata); and which pieces a memory holds (coverage)."""
