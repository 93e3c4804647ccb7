package definitions

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Catalog is the set of procedures and calendars of a deployment, loaded
// from a folder with procedures/ and calendars/ below it.
type Catalog struct {
	plans     []*Plan
	byCode    map[string]*Plan
	calendars map[int]*Calendar
}

// Plans returns the plans ordered by procedure code.
func (c *Catalog) Plans() []*Plan { return c.plans }

// Plan returns the plan of a procedure code, or nil.
func (c *Catalog) Plan(code string) *Plan { return c.byCode[code] }

// Calendar returns the calendar of a year, or nil.
func (c *Catalog) Calendar(year int) *Calendar { return c.calendars[year] }

// Years returns the years the catalog has calendars for, in order.
func (c *Catalog) Years() []int {
	years := make([]int, 0, len(c.calendars))
	for y := range c.calendars {
		years = append(years, y)
	}
	sort.Ints(years)
	return years
}

// LintResult is what linting a set of files found.
type LintResult struct {
	Files       int         `json:"files"`
	Errors      int         `json:"errors"`
	Warnings    int         `json:"warnings"`
	Diagnostics Diagnostics `json:"diagnostics"`
	plans       []*Plan
	calendars   []*Calendar
	codes       map[string]Pos
	codeFile    map[string]string
}

func (r *LintResult) add(ds Diagnostics) {
	for _, d := range ds {
		if d.Severity == SeverityError {
			r.Errors++
		} else {
			r.Warnings++
		}
	}
	r.Diagnostics = append(r.Diagnostics, ds...)
}

// isYAML reports whether a file name ends in .yaml or .yml.
func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// isCalendarPath reports whether a file stands in a folder named calendars.
func isCalendarPath(path string) bool {
	return filepath.Base(filepath.Dir(path)) == "calendars"
}

// LintPaths checks the definition files named, and every YAML file below
// the folders named (except in testdata folders below them). Files in a folder named calendars are checked as
// calendars. Procedure codes must be unique across all the files. An error
// is returned only when a path cannot be read.
func LintPaths(paths []string) (*LintResult, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("lint: %w", err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" && path != p {
				return filepath.SkipDir // test fixtures, named on the command line when wanted
			}
			if !d.IsDir() && isYAML(d.Name()) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("lint: walking %s: %w", p, err)
		}
	}
	// Files are read and checked in parallel; the results are merged in
	// file order so that the output and the duplicate-code checks do not
	// depend on scheduling.
	parsed := make([]parsedFile, len(files))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				parsed[i] = parseFile(files[i])
			}
		}()
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()

	res := &LintResult{Diagnostics: Diagnostics{}, codes: map[string]Pos{}, codeFile: map[string]string{}}
	for _, pf := range parsed {
		res.addFile(pf)
	}
	return res, nil
}

// parsedFile is one file read and checked by LintPaths.
type parsedFile struct {
	file  string
	diags Diagnostics
	doc   *Document
	plan  *Plan
	cal   *Calendar
}

func parseFile(file string) parsedFile {
	pf := parsedFile{file: file}
	data, err := readLimited(file)
	if err != nil {
		pf.diags = Diagnostics{{File: file, Line: 1, Col: 1, Severity: SeverityError, Message: err.Error()}}
		return pf
	}
	if isCalendarPath(file) {
		pf.cal, pf.diags = ParseCalendar(file, data)
		return pf
	}
	pf.doc = Parse(file, data)
	pf.diags = pf.doc.Diagnostics
	if pf.doc.Valid() {
		pf.plan = pf.doc.Compile()
	}
	return pf
}

func (res *LintResult) addFile(pf parsedFile) {
	res.Files++
	file := pf.file
	res.add(pf.diags)
	if pf.doc == nil {
		if cal := pf.cal; cal != nil {
			for _, c := range res.calendars {
				if c.Year == cal.Year {
					res.add(Diagnostics{{File: file, Line: 1, Col: 1, Severity: SeverityError, Message: fmt.Sprintf("calendar of %d is given twice", cal.Year)}})
					return
				}
			}
			res.calendars = append(res.calendars, cal)
		}
		return
	}
	doc := pf.doc
	if doc.Definition == nil || doc.Definition.Code == "" {
		return
	}
	code := doc.Definition.Code
	if prev, dup := res.codes[code]; dup {
		p := doc.Pos("code")
		res.add(Diagnostics{{File: file, Line: p.Line, Col: p.Col, Severity: SeverityError,
			Message: fmt.Sprintf("code: procedure %q is already defined at %s:%d:%d", code, res.codeFile[code], prev.Line, prev.Col)}})
		return
	}
	res.codes[code], res.codeFile[code] = doc.Pos("code"), file
	if pf.plan != nil {
		res.plans = append(res.plans, pf.plan)
	}
}

// LoadCatalog loads every procedure under dir/procedures and every calendar
// under dir/calendars. It fails with all diagnostics when any file has an
// error.
func LoadCatalog(dir string) (*Catalog, error) {
	var paths []string
	for _, sub := range []string{"procedures", "calendars"} {
		p := filepath.Join(dir, sub)
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("loading catalog: %s has neither procedures/ nor calendars/", dir)
	}
	res, err := LintPaths(paths)
	if err != nil {
		return nil, fmt.Errorf("loading catalog: %w", err)
	}
	if res.Errors > 0 {
		return nil, fmt.Errorf("loading catalog %s: %d error(s):\n%w", dir, res.Errors, res.Diagnostics)
	}
	return res.Catalog(), nil
}

// Catalog returns the valid plans and calendars the lint read.
func (res *LintResult) Catalog() *Catalog {
	c := &Catalog{byCode: map[string]*Plan{}, calendars: map[int]*Calendar{}}
	c.plans = slices.Clone(res.plans)
	sort.Slice(c.plans, func(i, j int) bool { return c.plans[i].Code < c.plans[j].Code })
	for _, p := range c.plans {
		c.byCode[p.Code] = p
	}
	for _, cal := range res.calendars {
		c.calendars[cal.Year] = cal
	}
	return c
}
