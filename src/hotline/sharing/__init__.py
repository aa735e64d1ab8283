"""信息共享 (data sharing): the ticket feed other systems of the city read — a department's business
system its unit's tickets, a district's platform its district's, the big-data bureau the whole city's.
A machine account of the role `data_sharing` reads every step of every ticket in its scope, in order,
from a cursor it keeps (feed.py); the HTTP surface is api.py."""
