"""`ncc`, the drop-in cc: command line (cmdline), settings, one unit's translation (unit), the driver."""
