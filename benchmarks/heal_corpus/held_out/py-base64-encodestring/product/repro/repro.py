import base64

auth = 'nick\0nick\0pw'
auth = base64.encodestring(auth.encode('UTF-8'))
