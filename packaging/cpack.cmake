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
# libcurl, libnftables and libsystemd are opened with dlopen on first use (reconcilers/io/
# lazy_library.h), so dpkg-shlibdeps does not see them: Depends names the package that ships each
# library the sonames were read from (CMakeLists.txt), at least the upstream version built against.
# CPack appends what shlibdeps finds to this list.
set(_lazy_depends "")
foreach(_lib IN ITEMS ${IRONWARD_CURL_SONAME_FILE} ${IRONWARD_NFTABLES_SONAME_FILE} ${IRONWARD_SYSTEMD_SONAME_FILE})
  execute_process(COMMAND dpkg-query -S "${_lib}" OUTPUT_VARIABLE _owner RESULT_VARIABLE _rc ERROR_QUIET)
  if(NOT _rc EQUAL 0)
    message(WARNING "packaging: no Debian package owns ${_lib}; the .deb will not depend on it")
    continue()
  endif()
  string(REGEX REPLACE "^([^:,]+).*" "\\1" _pkg "${_owner}")
  execute_process(COMMAND dpkg-query -W -f=\${Version} "${_pkg}" OUTPUT_VARIABLE _version ERROR_QUIET)
  string(REGEX REPLACE "-[^-]*$" "" _version "${_version}")   # the Debian revision
  string(REGEX REPLACE "[~+].*$" "" _version "${_version}")    # ~deb12u2, +b1
  list(APPEND _lazy_depends "${_pkg} (>= ${_version})")
endforeach()
list(JOIN _lazy_depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/ironsh/iron-proxy")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker.io | docker-ce")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
