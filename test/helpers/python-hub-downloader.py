"""Behaves like huggingface_hub's downloader on one blob, for concurrency tests: the same lock file
(<cache>/.locks/<repo folder>/<etag>.lock, opened O_RDWR|O_CREAT|O_TRUNC and locked with fcntl.flock as the
filelock package does) and the same partial name (<blob>.incomplete), renamed to the blob when complete.

usage: python-hub-downloader.py MODE CACHE REPO_FOLDER ETAG SOURCE_FILE
  download  write SOURCE_FILE into the blob in 4 chunks, 0.3 s apart, holding the lock
  stall     take the lock, write 100 bytes of .incomplete, then hold the lock without progress until killed
  probe     try the lock without waiting; print "busy" or "free"
Prints "locked" once it holds the lock.
"""
import fcntl
import os
import sys
import time

mode, cache, repo_folder, etag, source = sys.argv[1:6]
lock_path = os.path.join(cache, ".locks", repo_folder, etag + ".lock")
blob = os.path.join(cache, repo_folder, "blobs", etag)
os.makedirs(os.path.dirname(lock_path), exist_ok=True)
os.makedirs(os.path.dirname(blob), exist_ok=True)
fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
if mode == "probe":
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        print("free", flush=True)
    except BlockingIOError:
        print("busy", flush=True)
    sys.exit(0)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
data = open(source, "rb").read()
with open(blob + ".incomplete", "ab") as out:
    if mode == "stall":
        out.write(b"\0" * 100)
        out.flush()
        time.sleep(600)
    quarter = len(data) // 4 + 1
    for start in range(0, len(data), quarter):
        out.write(data[start : start + quarter])
        out.flush()
        time.sleep(0.3)
os.replace(blob + ".incomplete", blob)
fcntl.flock(fd, fcntl.LOCK_UN)
os.close(fd)
print("done", flush=True)
