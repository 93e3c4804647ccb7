// Package browsertest drives the officers' web console (internal/console)
// in headless Chromium, from Go with chromedp, over a real engine
// (internal/service/servicetest) and the real front door
// (internal/httpserver): officers sign in, open their inbox and dossiers
// and act through the console's forms exactly as at the counter, while the
// citizen submits and supplements through the JSON API.
//
// The package holds tests only. They need a Chromium binary: the one named
// by MOTCUA_CHROMIUM, else /usr/bin/chromium (Debian: apt-get install
// chromium); without one they are skipped. Every page visited is saved as a
// full-page PNG screenshot, named by step (01-login.png …), in the folder
// named by MOTCUA_TEST_ARTIFACTS, else <repository root>/.artifacts/browser.
//
//	go test -count=1 -v ./internal/browsertest
//
// The tests find elements by the stable ids and classes the console's
// package documentation lists, never by their Vietnamese text, except
// where the text itself is what is checked.
package browsertest
