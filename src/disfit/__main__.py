import sys

from disfit.cli import main

sys.exit(main())
