namespace board {
    /** The LED matrix of the simulated board, row by row. */
    export class BoardState {
        private readonly lit: boolean[];

        constructor(public readonly width: number, public readonly height: number) {
            this.lit = new Array<boolean>(width * height).fill(false);
        }

        set(x: number, y: number, on: boolean): void {
            if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
            this.lit[y * this.width + x] = on;
        }

        get(x: number, y: number): boolean {
            return this.lit[y * this.width + x];
        }

        litCount(): number {
            return this.lit.filter(on => on).length;
        }
    }
}
