# CPack: `cpack -G DEB` in a build directory makes ironward_<version>_<arch>.deb with the binary,
# the systemd unit, the Grafana dashboard and Prometheus rules, the examples and the docs. Included
# from the root CMakeLists.txt.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/ironward.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/grafana-dashboard.json ${PROJECT_SOURCE_DIR}/packaging/prometheus-rules.yaml
        DESTINATION share/ironward)
install(FILES ${PROJECT_SOURCE_DIR}/docs/run.md ${PROJECT_SOURCE_DIR}/docs/gitops.md
        ${PROJECT_SOURCE_DIR}/docs/observability.md
        DESTINATION share/doc/ironward OPTIONAL)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION share/doc/ironward/examples)

set(CPACK_PACKAGE_NAME ironward)
set(CPACK_PACKAGE_VENDOR "ironward")
set(CPACK_PACKAGE_CONTACT "ironward maintainers <maintainers@ironward.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/ironsh/iron-proxy")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker.io | docker-ce")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
