package simulate_test

import (
	"context"
	"fmt"
	"log"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/simulate"
	"github.com/motcua/motcua/internal/workcal"
)

// Simulate ten dossiers of the business registration with officers who
// take, in the median, 60% of each step's allotted time.
func ExampleRun() {
	cat, err := definitions.LoadCatalog("../../definitions")
	if err != nil {
		log.Fatal(err)
	}
	cal, err := workcal.FromCatalog(cat)
	if err != nil {
		log.Fatal(err)
	}
	res, err := simulate.Run(context.Background(), simulate.Options{
		Plan:           cat.Plan("1.001612"),
		Calendar:       cal,
		Dossiers:       10,
		ArrivalsPerDay: 20,
		Seed:           1,
		Durations:      simulate.Allotted{Fraction: 0.6},
		SupplementRate: -1, // never
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of %d dossiers finished, %d judged against their appointment\n",
		res.Finished, res.Dossiers, res.Early+res.OnTime+res.Late)
	for _, s := range res.Steps {
		fmt.Printf("%-20s %-9s %2d tasks, %2.0f working hours allotted\n", s.Key, s.Kind, s.Count, s.AllottedHours)
	}
	// Output:
	// 10 of 10 dossiers finished, 10 judged against their appointment
	// tiep_nhan            reception 10 tasks,  2 working hours allotted
	// nop_le_phi           pay       10 tasks, 40 working hours allotted
	// tham_dinh            task      10 tasks, 12 working hours allotted
	// ky_giay_chung_nhan   sign      10 tasks,  4 working hours allotted
}
