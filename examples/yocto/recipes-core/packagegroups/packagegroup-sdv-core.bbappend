# meta-leda's core package group with the bridge. Kanto-CM's own things service is switched off by
# the bridge's drop-in for container-management.service (installed by the kanto-twin-bridge recipe).
RDEPENDS:${PN}:append = " packagegroup-leda-kanto-twin-bridge"
