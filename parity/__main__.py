import os
import sys

from .cli import main

code = main()
try:
    sys.stdout.flush()
    sys.stderr.flush()
except (OSError, ValueError):
    pass
# Every report is written: end here, so that an engine's code that runs at exit (an atexit handler, a native
# extension's static destructor that aborts) cannot change the exit status or print a traceback.
os._exit(code if isinstance(code, int) else 1)
