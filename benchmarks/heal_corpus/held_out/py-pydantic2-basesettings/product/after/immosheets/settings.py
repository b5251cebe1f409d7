from pydantic_settings import BaseSettings

class Config(BaseSettings):
    listing_limit: int = 25
    sheet_name: str = "listings"


if __name__ == "__main__":
    print(Config().sheet_name)
