from phlebo.cli import main

raise SystemExit(main())
