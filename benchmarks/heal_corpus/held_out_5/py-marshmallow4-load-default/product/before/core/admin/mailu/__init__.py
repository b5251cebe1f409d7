""" Mailu admin (a small part, written for this corpus) """
