# The Microsoft SCIM reference Postman collection run with newman against a fresh scimd
# (scripts/conformance.sh). A ratchet: fails when fewer assertions pass than
# tests/conformance/baseline.txt records. Skipped (exit 77) when newman or the shared
# collection is missing. Included from tests/CMakeLists.txt.
if(TARGET scimd AND TARGET scimctl)
  add_test(NAME conformance.ms_scim_reference
           COMMAND ${PROJECT_SOURCE_DIR}/scripts/conformance.sh ${CMAKE_BINARY_DIR}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(conformance.ms_scim_reference PROPERTIES
                       TIMEOUT 300
                       LABELS conformance
                       SKIP_RETURN_CODE 77)
endif()
