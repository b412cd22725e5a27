from bertui.cli import main

if __name__ == "__main__":  # not when a model process (spawn) imports it as __mp_main__
    raise SystemExit(main())
