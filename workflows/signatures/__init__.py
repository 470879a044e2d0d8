"""Digital signatures (ký số) on PDF files: read and validated offline against the trust roots an administrator
uploads (``check``), kept as append-only evidence beside the unchanged bytes (``evidence``), roots managed in
``roots``."""

import asyncio
import warnings
from concurrent.futures import ThreadPoolExecutor

from cryptography.utils import CryptographyDeprecationWarning

# pyHanko imports DSA types to recognise old signatures; nothing here signs or trusts DSA
warnings.filterwarnings("ignore", "DSA is deprecated", CryptographyDeprecationWarning)


def off_loop(fn, *args, **kwargs):
    """Call one of pyHanko's synchronous functions, which run ``asyncio.run``: on a thread of its own where this
    thread already runs an event loop (a browser-test harness, an async server), else here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()
