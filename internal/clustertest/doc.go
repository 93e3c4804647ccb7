// Package clustertest is the integration test of motcua's cluster mode: the
// official Temporal server, built from the module proxy at the version in
// go.mod, on the machine's PostgreSQL; two `motcua worker` processes and one
// `motcua api`; dossiers submitted and driven through the HTTP API while a
// worker is killed and the server restarted. The package has no code of its
// own outside its tests.
//
// The test needs PostgreSQL (MOTCUA_TEST_POSTGRES, as the other tests) and
// skips without it. It builds the Temporal server and its SQL tool once per
// version into the user's cache folder, or uses MOTCUA_TEMPORAL_BIN, a folder
// holding both (.ci/run builds them there before the tests).
package clustertest
