"""Runtime hook of the bundled executable: libarchive-c loads the libarchive shipped inside the bundle.

libarchive-c asks ctypes to find the system library, which is missing on a machine where only
the executable was copied; its LIBARCHIVE variable names the file to load instead. A value the
user set is kept.
"""

import os
import sys

_bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "libarchive.so.13")
if "LIBARCHIVE" not in os.environ and os.path.exists(_bundled):
    os.environ["LIBARCHIVE"] = _bundled
