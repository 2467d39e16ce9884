// Package population makes realistic accounts in bulk, for the search
// benchmark and for tests of query plans.
package population

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"accountd"
)

// Names and titles: common given and family names, enough of each that a
// three-letter search finds a realistic share, some with accents.
var (
	FirstNames = strings.Fields(`James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth
		David Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa
		Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
		Michelle Kenneth Dorothy Kevin Carol Brian Amanda George Melissa Edward Deborah Ronald Stephanie Timothy
		Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Shirley Eric Angela
		Jonathan Helen Stephen Anna Larry Brenda Justin Pamela Scott Nicole Brandon Emma Benjamin Samantha Samuel
		Katherine Gregory Christine Frank Debra Alexander Rachel Raymond Catherine Patrick Carolyn Jack Janet
		Dennis Ruth Jerry Maria Tyler Heather Aaron Diane Jose Virginia Adam Julie Henry Joyce Nathan Victoria
		Douglas Olivia Zachary Kelly Peter Christina Kyle Lauren Walter Joan Ethan Evelyn Jeremy Judith Harold
		Megan Keith Cheryl Christian Andrea Roger Hannah Noah Martha Gerald Jacqueline Carl Frances Terry Gloria
		Sean Ann Austin Teresa Arthur Kathryn Lawrence Sara Jesse Janice Dylan Jean Bryan Alice Joe Madison
		Jordan Doris Billy Abigail Bruce Julia Albert Judy Willie Grace Gabriel Denise Logan Amber Alan Marilyn
		Juan Beverly Wayne Danielle Roy Theresa Ralph Sophia Randy Marie Eugene Diana Vincent Brittany Russell
		Natalie Elijah Isabella Louis Charlotte Bobby Rose Philip Alexis Johnny Kayla Jérôme Zoë Björn Renée
		Chloé José Ömer Noa Léa Mateo Aiko Wei Priya Arjun Fatima Omar Yusuf Ingrid Sven Lars Anja Joanna`)
	LastNames = strings.Fields(`Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
		Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White
		Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
		Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner
		Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan
		Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James
		Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez
		Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez
		Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole
		Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison
		Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns
		Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Muñoz Hunt Hicks Holmes
		Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels
		Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce
		Hansen Müller Brontë Ōtsuka Jerez Annan Kowalski Rossi Ferreira Novak Dubois Lefèvre Johansson Andersson`)
	Titles = []string{"Software Engineer", "Product Manager", "Product Designer", "Data Scientist",
		"DevOps Engineer", "Growth Marketer", "Technical Writer", "Smart Contract Developer", "Community Manager",
		"Frontend Developer", "Backend Engineer", "UX Researcher", "Sales Lead", "Accountant", "Recruiter"}
)

// Roles are the shares of accounts, in per cent, that get each role
// other than user.
type Roles struct{ Admin, Partner int }

// Account returns the i-th account of a population, created at at: a
// registration's account with a random name, a user name and referral code
// made unique by i, a profile with each part filled in six times in ten,
// roles by the given shares, 5% private and a score below 100. It has no
// password and no tags.
func Account(rng *rand.Rand, i int, at time.Time, roles Roles) *accountd.Account {
	first, last := FirstNames[rng.IntN(len(FirstNames))], LastNames[rng.IntN(len(LastNames))]
	a := accountd.NewAccount(at, fmt.Sprintf("person%d@example.com", i), first, last)
	a.UserName = accountd.UserNameBase(first, last) + "-" + strconv.FormatInt(int64(i), 36)
	a.ReferralCode = "b" + strconv.FormatInt(int64(i), 36)
	switch r := rng.IntN(100); {
	case r < roles.Admin:
		a.Role = accountd.RoleAdmin
	case r < roles.Admin+roles.Partner:
		a.Role = accountd.RolePartner
	}
	a.IsPrivate = rng.IntN(20) == 0
	a.Score = rng.IntN(100)
	fill := func(field *string, value string) {
		if rng.IntN(10) < 6 {
			*field = value
		}
	}
	p := &a.Profile
	if rng.IntN(10) < 6 {
		p.Contact.Country, p.Contact.State, p.Contact.City = "England", "Greater Manchester", "Manchester"
	}
	fill(&p.Contact.Address, "30 Alice Bob Blvd")
	fill(&p.Contact.Phone, "+442071838750")
	fill(&p.Bio.Title, Titles[rng.IntN(len(Titles))])
	fill(&p.Bio.Description, "Builds products people use")
	fill(&p.Talent.About, "Ten years of shipping software with small teams.")
	fill(&a.Socials.GitHub, "https://github.com/"+a.UserName)
	fill(&a.Socials.Website, "https://"+a.UserName+".example.com")
	return a
}
