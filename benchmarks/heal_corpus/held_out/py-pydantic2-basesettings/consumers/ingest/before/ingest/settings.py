from pydantic import BaseSettings

DEFAULT_BATCH = 500


class IngestSettings(BaseSettings):
    bucket: str = "raw"
    batch_size: int = DEFAULT_BATCH
