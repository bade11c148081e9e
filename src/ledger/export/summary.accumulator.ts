/**
 * The 汇总 sheet's figures, counted while the ledger streams: one determination at a time is
 * added and dropped, so memory stays flat whatever the county's size (PERF-NOTES.md: holding a
 * region's determinations retained 653 MB per 100k households).
 *
 * Counting follows POLICY.md "The summary sentence": in-policy households and their members, then
 * per category the households that are eligible and the persons the category counts (none for
 * households-only categories).
 */
import { supportCategory } from '../../registry/vocabulary';

/** What the summary reads from a determination (DESIGN.md "A determination"). */
export interface DeterminationLike {
  inPolicy: boolean | null;
  categories: readonly { id: string; name: string; status: string; persons: number | null }[];
}

export interface CategoryCount {
  id: string;
  name: string;
  households: number;
  /** null for households-only categories (产业扶贫, 扶贫小额贷款). */
  persons: number | null;
}

export interface ExportSummary {
  /** Households and persons exported (after every filter). */
  exported: { households: number; persons: number };
  /** 享受政策的贫困户: in-policy households and their members. */
  households: number;
  persons: number;
  categories: CategoryCount[];
}

export class SummaryAccumulator {
  private exportedHouseholds = 0;
  private exportedPersons = 0;
  private inPolicyHouseholds = 0;
  private inPolicyPersons = 0;
  private readonly categories = new Map<string, CategoryCount>();

  constructor() {
    // Every category appears, in POLICY.md's order, even with no household in it.
    for (const e of supportCategory.entries) this.categories.set(e.code, { id: e.code, name: e.label, households: 0, persons: null });
  }

  add(memberCount: number, determination: DeterminationLike): void {
    this.exportedHouseholds++;
    this.exportedPersons += memberCount;
    if (determination.inPolicy) {
      this.inPolicyHouseholds++;
      this.inPolicyPersons += memberCount;
    }
    for (const c of determination.categories) {
      let count = this.categories.get(c.id);
      if (!count) {
        count = { id: c.id, name: c.name, households: 0, persons: null };
        this.categories.set(c.id, count);
      }
      count.name = c.name;
      if (c.status !== 'eligible') continue;
      count.households++;
      if (typeof c.persons === 'number') count.persons = (count.persons ?? 0) + c.persons;
    }
  }

  result(householdsOnly: ReadonlySet<string>): ExportSummary {
    return {
      exported: { households: this.exportedHouseholds, persons: this.exportedPersons },
      households: this.inPolicyHouseholds,
      persons: this.inPolicyPersons,
      categories: [...this.categories.values()].map((c) => ({
        ...c,
        persons: householdsOnly.has(c.id) ? null : c.persons ?? 0,
      })),
    };
  }
}
