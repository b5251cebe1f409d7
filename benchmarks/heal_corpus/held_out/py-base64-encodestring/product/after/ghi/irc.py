"""Build the SASL PLAIN payload a chat server expects."""

import base64


class Login(object):

    def __init__(self, user, secret):
        self.user = user
        self.secret = secret

    def payload(self):
        token = "{user}\0{user}\0{secret}".format(
            user=self.user,
            secret=self.secret
        )
        token = base64.encodebytes(token.encode("UTF-8"))
        token = token.decode("UTF-8").replace("\n", "")
        return "AUTHENTICATE " + token + "\r\n"


if __name__ == "__main__":
    print(Login("bot", "hunter2").payload().strip())
