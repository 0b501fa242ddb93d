import sys

from host_tools.gwctl.cli import main

sys.exit(main())
