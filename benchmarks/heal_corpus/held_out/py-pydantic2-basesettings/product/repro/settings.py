from pydantic import BaseSettings

class Settings(BaseSettings):
    page_size: str = '50'
