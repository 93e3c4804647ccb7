package access_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/dossier"
)

var (
	citizen = auth.Principal{Subject: "079090001234", Kind: auth.KindCitizen}
	other   = auth.Principal{Subject: "001099000001", Kind: auth.KindCitizen}
	motCua  = auth.Principal{Subject: "cb1", Kind: auth.KindOfficer, Roles: []string{"mot_cua"}, Agency: "ubnd_xa"}
	police  = auth.Principal{Subject: "ca1", Kind: auth.KindOfficer, Roles: []string{"can_bo_cu_tru"}, Agency: "cong_an_xa"}
	analyst = auth.Principal{Subject: "pt", Kind: auth.KindAnalyst}
	admin   = auth.Principal{Subject: "qt", Kind: auth.KindAdmin}

	st        = dossier.State{Code: "D1", Agency: "ubnd_xa", Applicant: dossier.Applicant{ID: "079090001234"}}
	reception = dossier.Task{ID: "tiep_nhan", Step: "tiep_nhan", Role: "mot_cua", Agency: "ubnd_xa"}
	consult   = dossier.Task{ID: "xac_minh", Step: "xac_minh", Role: "can_bo_cu_tru", Agency: "cong_an_xa"}
)

func TestReadDossier(t *testing.T) {
	cases := []struct {
		who   auth.Principal
		tasks []dossier.Task
		ok    bool
		msg   string
	}{
		{citizen, nil, true, ""},
		{other, nil, false, "dossier D1 is not yours: citizens see only the dossiers they submitted"},
		{motCua, nil, true, ""},
		{police, nil, false, "dossier D1 belongs to agency ubnd_xa, not yours (cong_an_xa)"},
		{police, []dossier.Task{consult}, true, ""},
		{analyst, nil, false, "analysts read indicators, not dossiers"},
		{admin, nil, true, ""},
		{auth.Principal{Subject: "x", Kind: auth.KindOfficer, Roles: []string{"a"}}, nil, false, "your account names no agency"},
	}
	for _, c := range cases {
		err := access.ReadDossier(c.who, st, c.tasks)
		if c.ok {
			require.NoError(t, err, c.who.Subject)
			continue
		}
		var den *access.Denied
		require.ErrorAs(t, err, &den)
		require.Equal(t, c.msg, den.Message)
	}
	// A past hand-off involves an agency too.
	past := st
	past.Timeline = []dossier.Event{{Kind: dossier.EventActed, Actor: dossier.Actor{ID: "ca1", Agency: "cong_an_xa"}}}
	require.NoError(t, access.ReadDossier(police, past, nil))
}

func TestAct(t *testing.T) {
	actor, err := access.Act(motCua, st, reception)
	require.NoError(t, err)
	require.Equal(t, dossier.Actor{ID: "cb1", Role: "mot_cua", Agency: "ubnd_xa"}, actor)
	_, err = access.Act(motCua, st, dossier.Task{ID: "tham_dinh", Role: "tu_phap_ho_tich"})
	require.EqualError(t, err, "task tham_dinh of dossier D1 needs role tu_phap_ho_tich; you have mot_cua")
	_, err = access.Act(police, st, reception)
	require.EqualError(t, err, "task tiep_nhan of dossier D1 is for agency ubnd_xa, not yours (cong_an_xa)")
	_, err = access.Act(police, st, consult)
	require.NoError(t, err)
	_, err = access.Act(citizen, st, reception)
	require.EqualError(t, err, "only officers act on tasks (you are a citizen)")
	_, err = access.Act(motCua, st, dossier.Task{ID: "supplement", Role: dossier.RoleApplicant})
	require.EqualError(t, err, "task supplement of dossier D1 waits for the applicant, not an officer")
	_, err = access.Act(admin, st, reception)
	require.EqualError(t, err, "only officers act on tasks (you are an admin)")
}

func TestApplicantAndExtend(t *testing.T) {
	a, err := access.Applicant(citizen, st)
	require.NoError(t, err)
	require.Equal(t, dossier.Actor{ID: "079090001234", Role: dossier.RoleApplicant}, a)
	_, err = access.Applicant(other, st)
	require.EqualError(t, err, "dossier D1 is not yours: only its applicant may do this")
	_, err = access.Applicant(motCua, st)
	require.EqualError(t, err, "only the applicant may do this (you are an officer of ubnd_xa)")
	_, err = access.Extend(motCua, st)
	require.NoError(t, err)
	_, err = access.Extend(police, st)
	require.EqualError(t, err, "dossier D1 belongs to agency ubnd_xa, not yours (cong_an_xa)")
}

func TestSubmit(t *testing.T) {
	plan := &definitions.Plan{Code: "1.001193", Agency: "ubnd_xa"}
	require.NoError(t, access.Submit(citizen, plan, dossier.ChannelOnline, ""))
	require.NoError(t, access.Submit(citizen, plan, dossier.ChannelPostal, "079090001234"))
	require.EqualError(t, access.Submit(citizen, plan, dossier.ChannelOnline, "001099000001"),
		`citizens submit only for themselves: applicant.id "001099000001" is not yours`)
	require.EqualError(t, access.Submit(citizen, plan, dossier.ChannelInPerson, ""),
		"citizens submit online or by post; dossiers brought to the counter are entered by its officer")
	require.NoError(t, access.Submit(motCua, plan, dossier.ChannelInPerson, "001099000001"))
	require.EqualError(t, access.Submit(motCua, plan, dossier.ChannelOnline, ""),
		"officers enter dossiers received at the counter or by post; online dossiers are submitted by the citizen")
	require.EqualError(t, access.Submit(police, plan, dossier.ChannelInPerson, ""),
		"procedure 1.001193 is handled by agency ubnd_xa, not yours (cong_an_xa)")
	require.EqualError(t, access.Submit(analyst, plan, dossier.ChannelOnline, ""),
		"only citizens and officers submit dossiers (you are an analyst)")
}

func TestOperatorsAndInbox(t *testing.T) {
	require.NoError(t, access.ReadAudit(admin))
	require.EqualError(t, access.ReadAudit(motCua), "only administrators may read the audit log (you are an officer of ubnd_xa)")
	require.NoError(t, access.Inbox(motCua))
	require.EqualError(t, access.Inbox(citizen), "only officers have an inbox (you are a citizen)")
	require.EqualError(t, access.ListDossiers(analyst), "analysts read indicators, not dossiers")
	require.EqualError(t, access.ReadIndicators(citizen), "citizens cannot read indicators")
	require.NoError(t, access.ReadIndicators(analyst))
}

func TestIndicatorAgency(t *testing.T) {
	cases := []struct {
		who         auth.Principal
		asked, want string
		msg         string
	}{
		{analyst, "", "", ""},
		{analyst, "cong_an_xa", "cong_an_xa", ""},
		{admin, "", "", ""},
		{admin, "ubnd_xa", "ubnd_xa", ""},
		{motCua, "", "ubnd_xa", ""},
		{motCua, "ubnd_xa", "ubnd_xa", ""},
		{motCua, "cong_an_xa", "", "officers read the indicators of their own agency only: cong_an_xa is not yours (ubnd_xa)"},
		{police, "ubnd_xa", "", "officers read the indicators of their own agency only: ubnd_xa is not yours (cong_an_xa)"},
		{auth.Principal{Subject: "x", Kind: auth.KindOfficer, Roles: []string{"a"}}, "", "", "your account names no agency"},
		{citizen, "", "", "citizens cannot read indicators"},
		{citizen, "ubnd_xa", "", "citizens cannot read indicators"},
	}
	for _, c := range cases {
		got, err := access.IndicatorAgency(c.who, c.asked)
		if c.msg == "" {
			require.NoError(t, err, "%s asks %q", c.who.Subject, c.asked)
			require.Equal(t, c.want, got, "%s asks %q", c.who.Subject, c.asked)
			continue
		}
		var den *access.Denied
		require.ErrorAs(t, err, &den, "%s asks %q", c.who.Subject, c.asked)
		require.Equal(t, c.msg, den.Message)
		require.Empty(t, got)
	}
	require.NoError(t, access.ReadIndicators(motCua))
}

func TestReadAnalysis(t *testing.T) {
	for _, c := range []struct {
		who auth.Principal
		msg string
	}{
		{analyst, ""},
		{admin, ""},
		{motCua, "only analysts and administrators read the analysis of a procedure: it spans every agency handling the procedure (you are an officer of ubnd_xa)"},
		{police, "only analysts and administrators read the analysis of a procedure: it spans every agency handling the procedure (you are an officer of cong_an_xa)"},
		{citizen, "only analysts and administrators read the analysis of a procedure (you are a citizen)"},
	} {
		err := access.ReadAnalysis(c.who)
		if c.msg == "" {
			require.NoError(t, err, c.who.Subject)
			continue
		}
		var den *access.Denied
		require.ErrorAs(t, err, &den, c.who.Subject)
		require.Equal(t, c.msg, den.Message)
	}
}

func TestFindTask(t *testing.T) {
	second := dossier.Task{ID: "tham_dinh#2", Step: "tham_dinh"}
	first := dossier.Task{ID: "tham_dinh", Step: "tham_dinh"}
	got, ok := access.FindTask("tiep_nhan", []dossier.Task{reception}, []dossier.Task{reception})
	require.True(t, ok)
	require.Equal(t, reception, got)
	_, ok = access.FindTask("tham_dinh#2", []dossier.Task{first, second})
	require.True(t, ok)
	_, ok = access.FindTask("xac_minh", []dossier.Task{reception}, []dossier.Task{consult, consult})
	require.True(t, ok, "by step, the same task listed twice")
	_, ok = access.FindTask("nope", []dossier.Task{reception})
	require.False(t, ok)
	_, ok = access.FindTask("tham_dinh", []dossier.Task{{ID: "x1", Step: "tham_dinh"}, {ID: "x2", Step: "tham_dinh"}})
	require.False(t, ok, "two open tasks of one step: the id is needed")
}
