import { expect } from 'chai';
import { householdNetIncome, medicalBurden, netIncome, perCapitaNetIncome } from '../../../src/eligibility/facts/income.fact';

describe('facts: income', () => {
  it('nets wage + business + transfer + property − production costs', () => {
    expect(netIncome({ wage: 12000, business: 3000, transfer: 2400, property: 0, productionCost: 1500 })).to.equal(15900);
  });

  it('reads a blank component as nothing when another component is recorded', () => {
    expect(netIncome({ wage: 8000, business: null, transfer: null, property: null, productionCost: null })).to.equal(8000);
  });

  it('is unknown when no component is recorded, or one is not a number', () => {
    expect(netIncome({ wage: null, business: null, transfer: null, property: null, productionCost: null })).to.equal(undefined);
    expect(netIncome(undefined)).to.equal(undefined);
    expect(netIncome({ wage: '8000' })).to.equal(undefined);
  });

  it('divides by the members, and uses a given per-capita figure as given', () => {
    expect(perCapitaNetIncome(null, 15900, 3)).to.equal(5300);
    expect(perCapitaNetIncome(4100, 15900, 3)).to.equal(4100);
    expect(perCapitaNetIncome(null, 15900, 0)).to.equal(undefined);
    expect(perCapitaNetIncome(null, undefined, 3)).to.equal(undefined);
  });

  it('rebuilds the household income from a given per-capita figure', () => {
    expect(householdNetIncome(undefined, 4100, 3)).to.equal(12300);
    expect(householdNetIncome(9000, 4100, 3)).to.equal(9000);
  });

  it('gives medical spending as a share of net income, with no positive income taken as 1 yuan', () => {
    expect(medicalBurden(10000, 20000)).to.equal(0.5);
    expect(medicalBurden(300, -500)).to.equal(300);
    expect(medicalBurden(0, 0)).to.equal(0);
    expect(medicalBurden(null, 20000)).to.equal(undefined);
    expect(medicalBurden(100, undefined)).to.equal(undefined);
  });
});
