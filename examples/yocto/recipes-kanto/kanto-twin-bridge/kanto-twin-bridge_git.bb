# kanto-twin-bridge for Eclipse Leda (a layer next to meta-leda). Not built by this repository's
# CI: copy examples/yocto into your layer, set SRC_URI/SRCREV to your mirror and build with
# `bitbake kanto-twin-bridge`.
SUMMARY = "Ditto twin, deployment and update agent for Kanto container management, in one daemon"
HOMEPAGE = "https://github.com/eclipse-leda"
LICENSE = "EPL-2.0"
LIC_FILES_CHKSUM = "file://LICENSE;md5=REPLACE-WITH-THE-MD5-OF-LICENSE"

SRC_URI = "git://example.org/kanto-twin-bridge.git;protocol=https;branch=main"
SRCREV = "${AUTOREV}"
PV = "0.1.0+git${SRCPV}"
S = "${WORKDIR}/git"

# meta-oe: spdlog, fmt, grpc, protobuf, paho-mqtt-c, doctest (tests only);
# openembedded-core: boost, openssl, systemd.
DEPENDS = "boost openssl paho-mqtt-c grpc grpc-native protobuf protobuf-native spdlog fmt systemd"

inherit meson pkgconfig systemd

# The simulator and the tests are for development machines, not for the device.
EXTRA_OEMESON = "-Dsimulator=false -Dtests=false -Dman_pages=disabled --buildtype=release"

SYSTEMD_SERVICE:${PN} = "kanto-twin-bridge.service"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

do_install:append() {
    install -d ${D}${systemd_system_unitdir}
    install -m 0644 ${S}/examples/systemd/kanto-twin-bridge.service ${D}${systemd_system_unitdir}/
    install -d ${D}${systemd_system_unitdir}/container-management.service.d
    install -m 0644 ${S}/examples/systemd/container-management.service.d/kanto-twin-bridge.conf \
        ${D}${systemd_system_unitdir}/container-management.service.d/
}

PACKAGES =+ "${PN}-tools"
FILES:${PN}-tools = "${bindir}/kanto-twin"
FILES:${PN} += "${systemd_system_unitdir}/container-management.service.d"
RDEPENDS:${PN} = "kanto-container-management mosquitto"
