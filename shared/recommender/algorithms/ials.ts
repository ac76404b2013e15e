/**
 * Implicit ALS (Hu, Koren, Volinsky 2008) with the tuning of Rendle et al. 2021 ("Revisiting the
 * Performance of iALS on Item Recommendation Benchmarks"): confidence 1 + α·value on observed
 * pairs, a weight α0 on every pair, and regularization λ·(|I_u| + α0·|I|)^ν scaled by frequency.
 * Rows are updated by a few warm-started conjugate-gradient steps (Takács et al. 2011) on two
 * worker threads. New behaviour is folded in at request time with one exact k×k solve.
 */
import type { Trainer } from '../model.ts';
import { ComponentModel, prepareBase } from '../component.ts';
import { resolveHyperparameters } from '../hyperparameters.ts';
import { IalsComponent } from './ials/component.ts';
import { IALS_DEFAULTS, ialsSettings } from './ials/settings.ts';
import { trainFactors } from './ials/training.ts';

export { IALS_DEFAULTS, IALS_PARAMS, ialsSettings, type IalsParamName, type IalsSettings } from './ials/settings.ts';
export { trainFactors, type Factors } from './ials/training.ts';
export { foldIn, solveUserDense } from './ials/foldIn.ts';
export { IalsComponent } from './ials/component.ts';

export const ialsTrainer: Trainer = {
  algorithm: 'ials',
  defaults: IALS_DEFAULTS,
  async fit(data, hyperparameters) {
    const params = resolveHyperparameters('ials', IALS_DEFAULTS, hyperparameters);
    const settings = ialsSettings(params);
    const { base, matrix } = prepareBase(data, params);
    const factors = await trainFactors(matrix.byUser, matrix.byItem, settings);
    return new ComponentModel('ials', base, new IalsComponent(base, settings, factors));
  },
};
