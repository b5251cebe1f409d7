from pydantic_settings import BaseSettings


class MailSettings(BaseSettings):
    smtp_host: str = "localhost"
    smtp_port: int = 25


settings = MailSettings()
