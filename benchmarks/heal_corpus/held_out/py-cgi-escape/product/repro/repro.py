import cgi

print(cgi.escape(str('<a>')))
