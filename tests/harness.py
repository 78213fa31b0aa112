"""The harness of the Python suites: each `test_*` function of a module run in name order, one
line each and a summary in the form cargo prints ("test result: ok. N passed; M failed"),
which tests/all.sh counts with the Rust tests."""

import traceback


def run(suite, namespace):
    """Run the `test_*` callables of `namespace` (a module's globals) as `suite::name`; return
    the exit code: 1 when any failed."""
    tests = [(n, f) for n, f in sorted(namespace.items()) if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, fn in tests:
        try:
            fn()
            print(f"test {suite}::{name} ... ok", flush=True)
            passed += 1
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            print(f"test {suite}::{name} ... FAILED", flush=True)
            traceback.print_exc()
            failed += 1
    status = "ok" if failed == 0 else "FAILED"
    print(f"\ntest result: {status}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out")
    return 1 if failed else 0
