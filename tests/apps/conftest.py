"""Each sample app's own tests (tests/apps/<app>/test_<app>.py) use the pytest plugin's orderflow_stack
fixture, as the app's author would; tests/apps/test_sample_apps.py runs them in a pytest session of
their own (pytester, --orderflow-template), so this session does not collect them."""

collect_ignore_glob = ["*/test_*.py"]
