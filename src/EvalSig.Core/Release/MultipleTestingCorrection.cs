namespace EvalSig.Core.Release;

/// <summary>Multiplicity corrections over the tasks' p-values, as R's p.adjust names them.</summary>
public enum MultipleTestingCorrection
{
    /// <summary>No correction (adjusted p = p). The only choice for AllMustPass, which needs none.</summary>
    None,

    /// <summary>min(1, m p): family-wise error rate, any dependence (p.adjust "bonferroni").</summary>
    Bonferroni,

    /// <summary>Holm's step-down procedure: family-wise error rate, any dependence, never less powerful than Bonferroni (p.adjust "holm").</summary>
    Holm,

    /// <summary>Benjamini-Hochberg step-up: false discovery rate, independent or positively dependent tests (p.adjust "BH").</summary>
    BenjaminiHochberg,
}
