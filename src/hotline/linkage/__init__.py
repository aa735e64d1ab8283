"""联动转办: requests passed between 12345 and the platforms linked to it (110/119/120/122, utilities, another
region's 12345 — 国办发〔2020〕53号 "逐步建立…联动机制", Jiangsu "诉求互接互转", 长三角 12345 联动)."""
