import threading

fuse_thread = threading.Thread(target=lambda: None)
fuse_thread.start()
fuse_thread.join(30.0)
if fuse_thread.isAlive():
    pass
