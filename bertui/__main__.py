from bertui.cli import main

raise SystemExit(main())
