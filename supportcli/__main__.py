import sys

from supportcli.main import main

sys.exit(main())
