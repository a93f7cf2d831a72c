package model

import (
	"fmt"
	"io"
	"strings"
)

// WriteCard writes the model card as Markdown: what the model was trained
// on, how well it did on held-out rows, every bootstrap rate with its
// source and grade, and the model's limits.
func (m *Model) WriteCard(w io.Writer) error { return m.WriteCardWith(w, nil) }

// WriteCardWith writes the model card with a "Compared with baselines"
// section from c: the model and the baselines evaluated on the test split
// (Compare with ModelScorer first, then Baselines). A nil c leaves the
// section out.
func (m *Model) WriteCardWith(w io.Writer, c *Comparison) error {
	var b strings.Builder
	p, mt := m.Provenance, m.Metrics
	fmt.Fprintf(&b, "# Model card: posture default risk model\n\n")
	fmt.Fprintf(&b, "`models/default.json` — a %s model over feature schema version %s (hash `%s`, %d features). `model/` is the code; `models/` holds trained artifacts.\n\n",
		m.Kind, m.SchemaVersion, m.SchemaHash, len(m.FeatureNames))
	fmt.Fprintf(&b, "## Intended use\n\n")
	fmt.Fprintf(&b, "Ranking the resources of one cloud estate by how likely each is to be attacked within 30 days, so that a security team fixes the likeliest first; explaining each rank by the facts behind it; and ranking fixes by the risk they remove. It is not a probability you can quote to an insurer: its numbers are those of a simulator built from published rates and stated assumptions, until it is retrained on your own outcomes. It does not weigh impact (what an attacker gains), only likelihood.\n\n")
	fmt.Fprintf(&b, "## What it was trained on\n\n")
	soft := p.Targets == TargetsProbability
	fmt.Fprintf(&b, "- Source: %s\n", p.Source)
	if soft {
		fmt.Fprintf(&b, "- Rows: %d, seed %d\n- Targets: soft — each row's probability p of compromise under the simulated attacker (mean p %.2f %%), not a 0/1 draw of it\n",
			p.Rows, p.Seed, 100*p.MeanTarget)
	} else {
		fmt.Fprintf(&b, "- Rows: %d (%d positive, %.2f %%), seed %d\n- Targets: binary labels\n",
			p.Rows, p.Positives, 100*float64(p.Positives)/float64(max(p.Rows, 1)), p.Seed)
	}
	fmt.Fprintf(&b, "- Trained: %s\n- Command: `%s`\n\n", p.Trained.Format("2006-01-02"), p.Command)
	switch {
	case p.Source == BootstrapSource:
		fmt.Fprintf(&b, "**Synthetic data only.** No real incident, estate or scan went into this model. %s\n\n", BootstrapAssumptions)
	case p.Source == SimulatorSource:
		fmt.Fprintf(&b, "**Synthetic data only.** No real incident, estate or scan went into this model. %s\n\n%s\n\n%s\n\n", BootstrapAssumptions, EstateAssumptions, FocusAssumptions)
	case p.Notes != "":
		fmt.Fprintf(&b, "%s\n\n", p.Notes)
	}
	if soft {
		fmt.Fprintf(&b, "Training on p instead of a 0/1 label is the same information as averaging infinitely many Monte-Carlo attacker runs per resource: the cross-entropy against p is the mean cross-entropy over labels drawn from Bernoulli(p). With one draw per row and a base rate near 1 %%, most of what a 0/1 label carries is the noise of that draw; rare paths (an exposed IMDSv1 instance with an admin role is about 0.1 %% of rows) then get weights of either sign by chance.\n\n")
	}
	fmt.Fprintf(&b, "## How it was trained\n\n")
	if m.Kind == KindMLP && m.MLP != nil {
		fmt.Fprintf(&b, "A small neural network (gorgonia expression graph, float64): one hidden layer of %d tanh units over the standardised features, its logit W2·tanh(W1·x̂ + B1) + B2. Class-weighted binary cross-entropy, L2 1e-4 on both weight layers, Adam (step 0.01, divided by 5 after each plateau of 5 epochs without validation improvement, at most twice, then stop), mini-batches of 256, seeded initialisation. ", m.MLP.Hidden)
		if m.NonNegative {
			fmt.Fprintf(&b, "Both weight layers are held at or above 0 (projected gradient) and tanh rises, so the risk never falls when a feature rises: fixing or accepting a signal never raises a risk. Saturating hidden units let it combine attack vectors as they combine — a second likely vector adds less than the first — which a logistic regression, adding log-odds, cannot. ")
		}
	} else {
		fmt.Fprintf(&b, "Logistic regression on standardised features (gorgonia expression graph, float64), class-weighted binary cross-entropy, L2 1e-4 on weights, Adam (step 0.01, divided by 5 after each plateau of 5 epochs without validation improvement, at most twice, then stop), mini-batches of 256. ")
		if m.NonNegative {
			fmt.Fprintf(&b, "Every weight is held at or above 0 (projected gradient): each feature is a risk factor, so fixing or accepting a signal never raises the risk, and correlated features cannot trade a positive weight for a negative one. ")
		}
	}
	if soft {
		fmt.Fprintf(&b, "Positive weight w₊ = %.3g (expected negatives/expected positives, capped at 20). A soft target is weighted as the expectation of the class-weighted loss over a label drawn from Bernoulli(p): row weight 1 + (w₊−1)·p on target w₊·p / (1 + (w₊−1)·p), which is the usual class weighting when p is 0 or 1. The weighting only shifts the intercept of a correctly specified model; for this one it gives riskier rows more say, and Platt scaling removes the shift. ", p.PosWeight)
		how := "Rows are split at random (no classes to stratify soft targets by)"
		if p.Split == "by group" {
			how = "Whole estates are split, so no estate is both trained and tested on,"
		}
		fmt.Fprintf(&b, "%s into 70 %% training, 15 %% validation (early stopping, keeping the best epoch: %d of %d epochs run) and 15 %% test; Platt scaling is then fitted to the validation split's soft targets: risk = sigmoid(%.4f·z %+.4f).\n\n",
			how, mt.BestEpoch, mt.Epochs, m.Calibration.A, m.Calibration.B)
	} else {
		fmt.Fprintf(&b, "Positive weight %.3g (negatives/positives capped at 20). Stratified split into 70 %% training, 15 %% validation (early stopping, keeping the best epoch: %d of %d epochs run) and 15 %% test; Platt scaling fitted on the validation split's logits: risk = sigmoid(%.4f·z %+.4f).\n\n",
			p.PosWeight, mt.BestEpoch, mt.Epochs, m.Calibration.A, m.Calibration.B)
	}
	fmt.Fprintf(&b, "## Held-out metrics\n\n")
	if soft {
		fmt.Fprintf(&b, "On the %d rows of the test split (used for neither fitting, early stopping nor calibration). ROC-AUC, PR-AUC, Brier, base rate and the baseline are on hard labels, one Bernoulli(p) draw per row from a random stream used for nothing else, so they mean what they meant for models trained on 0/1 labels; the rest compare the risk with p itself.\n\n", mt.Rows)
	} else {
		fmt.Fprintf(&b, "On %d rows (stratified 15 %% test split; used for neither fitting, early stopping nor calibration):\n\n", mt.Rows)
	}
	fmt.Fprintf(&b, "| metric | value |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| ROC-AUC | %.3f |\n| PR-AUC (average precision) | %.3f |\n| Brier score | %.4f |\n| base rate | %.4f |\n| ROC-AUC of the baseline \"count of binary signals set\" | %.3f |\n",
		mt.ROCAUC, mt.PRAUC, mt.Brier, mt.BaseRate, mt.BaselineROCAUC)
	if soft {
		fmt.Fprintf(&b, "| ROC-AUC of p itself on the same labels (the ceiling) | %.3f |\n| mean p | %.4f |\n| mean absolute error of the risk against p | %.5f |\n| log-loss of the risk against p | %.5f |\n| log-loss of p against itself (the floor) | %.5f |\n",
			mt.OracleROCAUC, mt.MeanTarget, mt.TargetMAE, mt.TargetLogLoss, mt.TargetEntropy)
	}
	fmt.Fprintf(&b, "\nThese numbers measure how well the model recovers the simulator's own rules, not how well it predicts real attacks.\n\n")
	if c != nil && len(c.Evaluations) > 0 {
		writeComparison(&b, *c)
	}
	if len(m.Weights) == len(m.FeatureNames) { // a logistic regression
		fmt.Fprintf(&b, "## Weights\n\nOn standardised inputs (log-odds per standard deviation of the feature, before calibration).\n\n| feature | weight | mean | std |\n| --- | --- | --- | --- |\n")
		for i, n := range m.FeatureNames {
			fmt.Fprintf(&b, "| `%s` | %+.3f | %.4f | %.4f |\n", n, m.Weights[i], m.Mean[i], m.Std[i])
		}
		fmt.Fprintf(&b, "\nBias %+.4f.\n\n", m.Bias)
	}
	if p.Source == BootstrapSource || p.Source == SimulatorSource {
		fmt.Fprintf(&b, "## Rates used by the simulator\n\n")
		fmt.Fprintf(&b, "Grades: **P** primary source, **T** faithful copy of it, **S** secondary coverage only, **C** computed here, **assumption** no published figure found — chosen by us. Where a figure is [S], only press or secondary coverage was read.\n\n")
		fmt.Fprintf(&b, "| rate | value | source | grade |\n| --- | --- | --- | --- |\n")
		for _, r := range Rates() {
			fmt.Fprintf(&b, "| %s | %g | %s | %s |\n", r.Name, r.Value, r.Source, r.Grade)
		}
		b.WriteString("\n")
	}
	b.WriteString(retrain)
	b.WriteString(limits)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeComparison writes the "Compared with baselines" section.
func writeComparison(b *strings.Builder, c Comparison) {
	first := c.Evaluations[0]
	fmt.Fprintf(b, "## Compared with baselines\n\n")
	fmt.Fprintf(b, "On the %d rows of the test split (%s), %s. Every scorer sees the same rows, labels and resamples. Intervals are 95 %% percentile bootstrap intervals over %d resamples of the %d %s (seed %d).\n\n",
		first.Rows, c.Source, labelsText(first), first.Resamples, first.Units, first.Resampled, first.Seed)
	header, rows := c.Table()
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	fmt.Fprintf(b, "\nNo skill (a random order): ROC-AUC 0.5, PR-AUC = the base rate %.4f (%d positives), coverage = effort. A baseline's scores are not probabilities, so it has no Brier score.\n\n", first.BaseRate, first.Positives)
	for _, e := range c.Evaluations[1:] {
		fmt.Fprintf(b, "- **%s**: %s.\n", e.Name, e.Rule)
	}
	fmt.Fprintf(b, "\n%s\n\n", TieRules)
	for _, e := range c.Evaluations {
		if len(e.Reliability) == 0 {
			continue
		}
		fmt.Fprintf(b, "### Reliability: %s\n\nRows cut into deciles by predicted risk (equal count; tied risks are never split, so a large tie makes fewer, larger bins): the mean predicted risk against the share observed positive.\n\n", e.Name)
		b.WriteString("| predicted risk | rows | mean predicted | observed |\n| --- | --- | --- | --- |\n")
		for _, bin := range e.Reliability {
			fmt.Fprintf(b, "| %.3g – %.3g | %d | %.3g | %.3g |\n", bin.Lo, bin.Hi, bin.Rows, bin.MeanPredicted, bin.Observed)
		}
		b.WriteString("\n")
	}
}

// labelsText says where an evaluation's labels come from.
func labelsText(e Evaluation) string {
	if e.Labels == "drawn" {
		return "labels one Bernoulli(p) draw per row of the soft targets"
	}
	return "labels as given"
}

const retrain = `## Retraining on your own labels

Label the outcomes you know — a resource compromised in an incident, or
confirmed clean — in a CSV (resource,label,time,source) or JSON lines, and
run:

    posture train --labels outcomes.csv --simulate 200000 --out my-model.json
    posture model eval --model my-model.json --labels outcomes.csv --since 2026-06-01
    posture score --model my-model.json

Each label is joined to the features of the snapshot in force at its time
(keep your scheduled scans' snapshots: posture scan --keep N); labels for
unknown resources, before any snapshot, duplicated or conflicting are
reported, not dropped silently. --simulate mixes this simulator in as a
prior, which matters while labels are few. Labels are held out by time, so
the printed metrics say how the model predicts outcomes that came after
those it learned from. The shipped model is never overwritten: --out names
a new file.

`

const limits = `## Limits

- Not trained on real incidents. Every label comes from the simulator, and
  most of its rates are assumptions (see the table); the model can be no
  better than those. Retrain on your own labelled outcomes (posture train
  --labels FILE, with --simulate N as a prior).
- The estate simulator links one path through the graph (an exposed
  instance's role reading the estate's data stores); there is no lateral
  movement between instances, no chained role assumption and no attacker
  who returns for the next weakness. Attack vectors are combined as
  independent (1 − Π(1 − p_i)).
- Columns the simulator never draws (clusters, trust policies, an
  all-ports rule beyond the ports it opens, plain-text database
  connections) carry no weight until labels train them; the rates table
  and the notes above say which.
- Rare combinations are learned from focus rows. Naturally, about 85 of
  the 200,000 rows are exposed hosts with a CVE whose EPSS exceeds 0.3;
  without the 20,000 focus rows the network's saturating units flattened
  that range (an exposed host with SSH open and a KEV CVE scored 0.51 at
  EPSS 0.95). With them it scores about 0.23 at EPSS 0.1, 0.37 at 0.28,
  0.59 at 0.5 and 0.81 at 0.95, where the simulator gives a little more
  than the EPSS itself: still low at the top, in order everywhere.
- The features carry no resource kind: instances, databases, buckets and
  identities share one input space, so compare twins, not single inputs.
- Honeypot figures describe deliberately weak endpoints; how many real
  exposed endpoints are that weak is an assumption. EPSS is the chance of
  exploitation activity anywhere within 30 days; the simulator uses it as
  the chance against an exposed host with the CVE.
- Image age stands in for instance age in the IMDSv2 figures.
- Explanations (reasons) are the facts a resource has, each with the
  calibrated log-odds it adds against the same resource without it (for
  the MLP they need not add up). What-if risks set features to 0 without
  re-extracting the snapshot; the fix engine clears the derived features a
  fix breaks (features.Schema.ClearedBy), which approximates a rescan.
- Metrics come from held-out estates of the same simulator: they show the
  training worked and how it ranks against simple rules on the same rows,
  not that the risk is right.
`
