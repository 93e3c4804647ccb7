package demodata_test

import (
	"fmt"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/demodata"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/workcal"
)

// Three dossiers submitted on 1 July 2025, as the read model would hold
// them at the end of that week.
func ExampleGenerate() {
	cat, err := definitions.LoadCatalog("../../definitions")
	if err != nil {
		panic(err)
	}
	cal, err := workcal.FromCatalog(cat)
	if err != nil {
		panic(err)
	}
	day := time.Date(2025, 7, 1, 0, 0, 0, 0, dossier.Vietnam)
	seq, err := demodata.Generate(cat, cal, demodata.Options{Dossiers: 3, Seed: 1, From: day, To: day.AddDate(0, 0, 1),
		Now: day.AddDate(0, 0, 4)})
	if err != nil {
		panic(err)
	}
	for d, err := range seq {
		if err != nil {
			panic(err)
		}
		st := d.State()
		fmt.Printf("%s %s %s %s: %d events, %s\n", d.Code, st.ProcedureCode, st.Mode, st.Channel, d.Events(), st.Status)
	}
	// Output:
	// CONG_AN_TINH-250701-0001 3.000333 full_online online: 9 events, Đang xử lý
	// UBND_XA-250701-0001 9.000003 full_online online: 22 events, Đã trả kết quả
	// UBND_XA-250701-0002 1.001193 full_online online: 13 events, Đã trả kết quả
}
