import sys

import pytest

# The conformance kit lives outside tests/: have pytest explain its assertions too
# (possible only before its first import, hence the check).
if "adapters.sdk.testing" not in sys.modules:
    pytest.register_assert_rewrite("adapters.sdk.testing")
