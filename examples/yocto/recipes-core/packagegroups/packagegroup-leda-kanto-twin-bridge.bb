# Puts kanto-twin-bridge on a Leda image: add "packagegroup-leda-kanto-twin-bridge" to
# IMAGE_INSTALL (e.g. in a bbappend of the image recipe), as packagegroup-sdv-core.bbappend below.
SUMMARY = "kanto-twin-bridge for Eclipse Leda"
inherit packagegroup
RDEPENDS:${PN} = "kanto-twin-bridge kanto-twin-bridge-tools"
