from neuralcc.harness.cli import main

raise SystemExit(main())
