package model

import (
	"fmt"
	"io"
	"strings"
)

// WriteCard writes the model card as Markdown: what the model was trained
// on, how well it did on held-out rows, every bootstrap rate with its
// source and grade, and the model's limits.
func (m *Model) WriteCard(w io.Writer) error {
	var b strings.Builder
	p, mt := m.Provenance, m.Metrics
	fmt.Fprintf(&b, "# Model card: posture default risk model\n\n")
	fmt.Fprintf(&b, "`models/default.json` — a %s model over feature schema version %s (hash `%s`, %d features). `model/` is the code; `models/` holds trained artifacts.\n\n",
		m.Kind, m.SchemaVersion, m.SchemaHash, len(m.FeatureNames))
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
	if p.Source == BootstrapSource {
		fmt.Fprintf(&b, "**Synthetic data only.** No real incident, estate or scan went into this model. %s\n\n", BootstrapAssumptions)
	} else if p.Notes != "" {
		fmt.Fprintf(&b, "%s\n\n", p.Notes)
	}
	if soft {
		fmt.Fprintf(&b, "Training on p instead of a 0/1 label is the same information as averaging infinitely many Monte-Carlo attacker runs per resource: the cross-entropy against p is the mean cross-entropy over labels drawn from Bernoulli(p). With one draw per row and a base rate near 1 %%, most of what a 0/1 label carries is the noise of that draw; rare paths (an exposed IMDSv1 instance with an admin role is about 0.1 %% of rows) then get weights of either sign by chance.\n\n")
	}
	fmt.Fprintf(&b, "## How it was trained\n\n")
	fmt.Fprintf(&b, "Logistic regression on standardised features (gorgonia expression graph, float64), class-weighted binary cross-entropy, L2 1e-4 on weights, Adam (step 0.01, divided by 5 after each plateau of 5 epochs without validation improvement, at most twice, then stop), mini-batches of 256. ")
	if m.NonNegative {
		fmt.Fprintf(&b, "Every weight is held at or above 0 (projected gradient): each feature is a risk factor, so fixing or accepting a signal never raises the risk, and correlated features cannot trade a positive weight for a negative one. ")
	}
	if soft {
		fmt.Fprintf(&b, "Positive weight w₊ = %.3g (expected negatives/expected positives, capped at 20). A soft target is weighted as the expectation of the class-weighted loss over a label drawn from Bernoulli(p): row weight 1 + (w₊−1)·p on target w₊·p / (1 + (w₊−1)·p), which is the usual class weighting when p is 0 or 1. The weighting only shifts the intercept of a correctly specified model; for this one it gives riskier rows more say, and Platt scaling removes the shift. ", p.PosWeight)
		fmt.Fprintf(&b, "Rows are split at random (no classes to stratify soft targets by) into 70 %% training, 15 %% validation (early stopping, keeping the best epoch: %d of %d epochs run) and 15 %% test; Platt scaling is then fitted to the validation split's soft targets: risk = sigmoid(%.4f·z %+.4f).\n\n",
			mt.BestEpoch, mt.Epochs, m.Calibration.A, m.Calibration.B)
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
	fmt.Fprintf(&b, "## Weights\n\nOn standardised inputs (log-odds per standard deviation of the feature, before calibration).\n\n| feature | weight | mean | std |\n| --- | --- | --- | --- |\n")
	for i, n := range m.FeatureNames {
		fmt.Fprintf(&b, "| `%s` | %+.3f | %.4f | %.4f |\n", n, m.Weights[i], m.Mean[i], m.Std[i])
	}
	fmt.Fprintf(&b, "\nBias %+.4f.\n\n", m.Bias)
	if p.Source == BootstrapSource {
		fmt.Fprintf(&b, "## Rates used by the simulator\n\n")
		fmt.Fprintf(&b, "Grades: **P** primary source, **T** faithful copy of it, **S** secondary coverage only, **C** computed here, **assumption** no published figure found — chosen by us. Where a figure is [S], only press or secondary coverage was read.\n\n")
		fmt.Fprintf(&b, "| rate | value | source | grade |\n| --- | --- | --- | --- |\n")
		for _, r := range Rates() {
			fmt.Fprintf(&b, "| %s | %g | %s | %s |\n", r.Name, r.Value, r.Source, r.Grade)
		}
		b.WriteString("\n")
	}
	b.WriteString(limits)
	_, err := io.WriteString(w, b.String())
	return err
}

const limits = `## Limits

- Not trained on real incidents. Every label comes from the simulator, and
  most of its rates are assumptions (see the table); the model can be no
  better than those. Retrain on your own labelled outcomes (posture train).
- The simulator draws each resource alone: no estate graph, no lateral
  movement, no attacker who chains resources across an account. A full
  estate-level attack simulator is a later issue.
- Logistic regression adds log-odds: it cannot learn interactions beyond
  the path features the schema spells out (exposed_with_admin_role,
  imdsv1_exposed, imds_credential_theft_path). The last gives the SSRF
  path (exposed, IMDSv1, an admin-equivalent role) a weight of its own,
  but only for admin roles: the simulator's other over-privileged roles
  are not a feature, so their share of the path stays spread over
  imdsv1_exposed. The simulator combines vectors as 1 − Π(1 − p_i), which
  adds less than log-odds do once one vector is likely, so on the path
  admin_port_internet and an old image add more in the model than in the
  simulator, and the path weight, fitted to the path's average row, is
  too low for a path instance without them; and an exposed IMDSv2
  instance, with no kind feature, starts from the intercept it shares
  with identities, above an instance's baseline (next item). So a young
  exposed IMDSv1 instance with an admin role and no admin port scores a
  few times its IMDSv2 twin, where the simulator has about ten times.
- The features carry no resource kind: the intercept is shared by
  instances, databases, buckets and identities, so a flag that only one
  kind has (imdsv1, public_database) also learns that kind's baseline and
  its weight alone can be negative; compare twins, not single weights.
- Attack vectors are combined as independent (1 − Π(1 − p_i)); real
  attackers who find one weakness look for the next.
- Honeypot figures describe deliberately weak endpoints; how many real
  exposed endpoints are that weak is an assumption.
- Image age stands in for instance age in the IMDSv2 figures.
- Explanations (reasons) are the facts a resource has, each with its
  additive share of the calibrated log-odds against the same resource
  without it. What-if risks set features to 0 without re-extracting the
  snapshot; the fix engine clears the derived path features a fix breaks
  (features.Schema.ClearedBy), which approximates a rescan.
- Metrics come from held-out rows of the same simulator: they show the
  training worked, not that the risk is right.
`
