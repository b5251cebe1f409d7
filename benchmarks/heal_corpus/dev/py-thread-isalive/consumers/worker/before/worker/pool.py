import threading


def run_all(jobs):
    threads = [threading.Thread(target=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    return [t.isAlive() for t in threads]
