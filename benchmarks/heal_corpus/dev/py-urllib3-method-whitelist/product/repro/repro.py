from urllib3.util.retry import Retry

kwargs = {}
kwargs.setdefault("method_whitelist", False)
r = Retry(total=3, **kwargs)
